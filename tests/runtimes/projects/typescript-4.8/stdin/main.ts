declare function require(name: string): any;
const fs = require("fs");
const text: string = fs.readFileSync(0, "utf8");
process.stdout.write(text.toUpperCase());
declare const process: any;
