const n: number = undefined_thing + 1;
console.log(n);
