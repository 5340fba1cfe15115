import { add } from "./mathutil";
import { greeting, NAME } from "./lib/greet";

console.log(`add(3, 4) = ${add(3, 4)}`);
console.log(greeting(NAME));
