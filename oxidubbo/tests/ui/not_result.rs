#[oxidubbo::service(interface = "com.example.Greeter")]
pub trait Greeter {
    async fn say_hello(&self, name: String) -> String;
}

fn main() {}
