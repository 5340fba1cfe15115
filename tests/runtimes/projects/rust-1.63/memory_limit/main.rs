// Keeps 1 GiB alive, 16 MiB at a time, touching every page.
fn main() {
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    for _ in 0..64 {
        chunks.push(vec![b'x'; 16 << 20]);
    }
    println!("allocated {} MiB", chunks.len() * 16);
}
