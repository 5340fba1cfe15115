use std::io::{self, Read, Write};

fn main() {
    let mut text = String::new();
    io::stdin().read_to_string(&mut text).unwrap();
    io::stdout().write_all(text.to_uppercase().as_bytes()).unwrap();
}
