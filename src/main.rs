//! The `simulate` binary: a thin wrapper over `archsim_cli`.

fn main() {
    std::process::exit(archsim_cli::main_with_args(std::env::args_os()));
}
