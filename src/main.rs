use std::process::ExitCode;

fn main() -> ExitCode {
    magsync::cli::main()
}
