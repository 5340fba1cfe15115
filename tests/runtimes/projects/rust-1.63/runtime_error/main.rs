fn main() {
    eprintln!("about to fail");
    std::process::exit(3);
}
