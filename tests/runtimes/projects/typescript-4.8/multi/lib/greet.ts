export const NAME = "runlet";

export function greeting(name: string): string {
  return `greet: hello, ${name}`;
}
