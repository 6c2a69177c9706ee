#[oxidubbo::service(interface = "com.example.Greeter")]
pub trait Greeter {
    fn say_hello(&self, name: String) -> Result<String, oxidubbo::RpcError>;
}

fn main() {}
