// CommonJS require() of a local module, then import() of an ES module (.mjs).
const { add } = require("./lib/mathutil");

console.log(`add(3, 4) = ${add(3, 4)}`);
import("./greet.mjs").then(({ greeting, NAME }) => {
  console.log(greeting(NAME));
});
