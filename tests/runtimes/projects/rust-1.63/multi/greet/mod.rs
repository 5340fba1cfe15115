mod prefix;

pub const NAME: &str = "runlet";

pub fn greeting(name: &str) -> String {
    format!("{}hello, {}", prefix::PREFIX, name)
}
