pub const PREFIX: &str = "greet: ";
