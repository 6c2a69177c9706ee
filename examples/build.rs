//! Generates the `greet` package (messages and `GreetService`) from `proto/greet.proto`
//! and the dubbo-go-samples `api` package (`Greeter`) from `proto/samples_api.proto`.
//!
//! On Linux with glibc the binaries are linked with packed relative relocations
//! (`DT_RELR`, glibc 2.36 or later): the loader then reads a few KiB of relocations at
//! start instead of the 24-byte entry per pointer of `.rela.dyn` (hundreds of KiB that
//! stayed resident), which keeps the idle provider's memory down (BENCHMARKS.md).

fn main() -> std::io::Result<()> {
    let target = |key| std::env::var(key).unwrap_or_default();
    if target("CARGO_CFG_TARGET_OS") == "linux" && target("CARGO_CFG_TARGET_ENV") == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    oxidubbo_build::compile_protos(
        &["proto/greet.proto", "proto/samples_api.proto"],
        &["proto"],
    )
}
