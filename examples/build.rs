//! Generates the `greet` package (messages and `GreetService`) from `proto/greet.proto`.

fn main() -> std::io::Result<()> {
    oxidubbo_build::compile_protos(&["proto/greet.proto"], &["proto"])
}
