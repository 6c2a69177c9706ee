//! Generates the `greet` package (messages and `GreetService`) from `proto/greet.proto`
//! and the dubbo-go-samples `api` package (`Greeter`) from `proto/samples_api.proto`.

fn main() -> std::io::Result<()> {
    oxidubbo_build::compile_protos(
        &["proto/greet.proto", "proto/samples_api.proto"],
        &["proto"],
    )
}
