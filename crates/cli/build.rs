//! Records the target triple, which partial results carry as part of the build that made
//! them (`simulate merge` refuses a mix of builds).
fn main() {
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=ARCHSIM_TARGET={target}");
    println!("cargo:rerun-if-changed=build.rs");
}
