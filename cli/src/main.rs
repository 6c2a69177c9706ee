//! The `oxidubbo` binary: see the `oxidubbo_cli` library docs and `oxidubbo --help`.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(oxidubbo_cli::run())
}
