//! How a [`Hist`] is written into a partial result and read back: the HdrHistogram V2
//! serialized form, compressed (deflate) and in base64, beside the exact sum and maximum.
//! Reading it back gives a histogram whose counts, and so every figure, equal the original's;
//! it resizes itself on merge like one that was recorded into.

use crate::recorder::Hist;
use base64::Engine as _;
use hdrhistogram::serialization::{Deserializer, Serializer as _, V2DeflateSerializer};
use serde::de::Error as _;
use serde::ser::Error as _;

#[derive(serde::Serialize, serde::Deserialize)]
struct Wire {
    /// HdrHistogram V2 deflate, base64 (standard alphabet, padded).
    hdr: String,
    sum_ns: u128,
    max_ns: u64,
}

impl serde::Serialize for Hist {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut bytes = Vec::new();
        V2DeflateSerializer::new()
            .serialize(&self.h, &mut bytes)
            .map_err(|e| S::Error::custom(format!("histogram: {e:?}")))?;
        Wire {
            hdr: base64::engine::general_purpose::STANDARD.encode(&bytes),
            sum_ns: self.sum_ns,
            max_ns: self.max_ns,
        }
        .serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Hist {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = Wire::deserialize(d)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(w.hdr.as_bytes())
            .map_err(|e| D::Error::custom(format!("histogram: not base64: {e}")))?;
        let mut h: hdrhistogram::Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(|e| D::Error::custom(format!("histogram: {e:?}")))?;
        // A histogram read back has fixed bounds; pooling must be able to grow it.
        h.auto(true);
        Ok(Hist {
            h,
            sum_ns: w.sum_ns,
            max_ns: w.max_ns,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RunStats;

    #[test]
    fn a_histogram_reads_back_with_the_same_figures_and_still_grows() {
        let mut h = Hist::new();
        for v in [1u64, 7, 1_000, 123_456_789, 9_999_999_999] {
            h.record(v);
        }
        let text = serde_json::to_string(&h).unwrap();
        let mut back: Hist = serde_json::from_str(&text).unwrap();
        assert_eq!(back.count(), h.count());
        for q in [0.0, 0.5, 0.9, 0.99, 1.0] {
            assert_eq!(back.quantile_ms(q), h.quantile_ms(q));
        }
        assert_eq!(back.mean_ms(), h.mean_ms());
        assert_eq!(back.max_ms(), h.max_ms());
        // Beyond the bounds it was read back with: it must resize, not fail.
        let mut big = Hist::new();
        big.record(u64::MAX / 4);
        back.merge(&big);
        assert_eq!(back.count(), 6);
        back.record(u64::MAX / 2);
        assert_eq!(back.count(), 7);
    }

    #[test]
    fn corrupt_histograms_are_errors_not_panics() {
        for bad in [
            r#"{"hdr":"!!!","sum_ns":0,"max_ns":0}"#,
            r#"{"hdr":"AAAA","sum_ns":0,"max_ns":0}"#,
            r#"{"hdr":"","sum_ns":0,"max_ns":0}"#,
            r#"{"sum_ns":0,"max_ns":0}"#,
        ] {
            assert!(serde_json::from_str::<Hist>(bad).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<RunStats>("{}").is_err());
    }
}
