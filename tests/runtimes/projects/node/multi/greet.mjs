import { prefix } from "./lib/prefix.mjs";

export const NAME = "runlet";

export function greeting(name) {
  return `${prefix}hello, ${name}`;
}
