// Keeps 1 GiB alive in the JavaScript heap, 16 MiB at a time.
const chunks = [];
for (let i = 0; i < 64; i++) {
  const chunk = new Array(2 << 20);
  for (let j = 0; j < chunk.length; j++) chunk[j] = j + 0.5;
  chunks.push(chunk);
}
console.log(`allocated ${chunks.length * 16} MiB`);
