//! The HTML page of a compare suite: one section per question.

use super::compare::{compare_charts, figures_table, run_meta};
use super::{esc, page};
use crate::outcome::Outcome;

/// One question of a comparison suite, for [`compare_suite_html`].
pub(crate) struct SuiteSection<'a> {
    /// The question's folder name.
    pub name: String,
    /// The question, from the folder's README.md.
    pub question: Option<String>,
    /// The verdict line.
    pub verdict: String,
    /// Row labels.
    pub names: Vec<String>,
    /// The runs.
    pub outcomes: &'a [Outcome],
}

/// The HTML report of a comparison suite: per question, its table, verdict, and the bars of
/// [`compare_charts`] (`chart-compare-p99-NAME`, `chart-compare-throughput-NAME`, ..., NAME the
/// folder name with characters other than letters, digits, `-` and `_` replaced by `-`, and
/// `-2`, `-3`... appended when an earlier question already took that NAME).
pub(crate) fn compare_suite_html(suite: &str, sections: &[SuiteSection]) -> anyhow::Result<String> {
    let mut body = String::new();
    // The seed line comes from the first run that finished, whichever question it is in.
    if let Some(s) = sections
        .iter()
        .find(|s| s.outcomes.iter().any(|o| o.is_ok()))
    {
        body.push_str(&run_meta(s.outcomes, "each"));
    }
    let mut used: Vec<String> = Vec::new();
    for s in sections {
        let base: String = s
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        // Two folder names can map to one id (`a b` and `a-b`): later ones get `-2`, `-3`...
        let mut id = base.clone();
        let mut k = 1;
        while used.contains(&id) {
            k += 1;
            id = format!("{base}-{k}");
        }
        used.push(id.clone());
        body.push_str(&format!("<h2 id=\"q-{id}\">{}</h2>\n", esc(&s.name)));
        if let Some(q) = &s.question {
            body.push_str(&format!("<p>{}</p>\n", esc(q)));
        }
        body.push_str(&figures_table(&s.names, s.outcomes));
        body.push_str(&format!(
            "<p class=\"verdict\">{}</p>\n",
            esc(&s.verdict).replace('\n', "<br>")
        ));
        for f in compare_charts(
            &s.names,
            s.outcomes,
            &format!("-{id}"),
            &format!("{}: ", s.name),
        )? {
            body.push_str(&f);
        }
    }
    Ok(page(
        &format!("archsim: comparison suite {suite}"),
        &body,
        "",
        &[],
    ))
}
