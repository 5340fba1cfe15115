fn main() {
    println!("{}", undefined_thing);
}
