// What a new project starts from, per language: a hello world (below), or one of the
// examples of examples.json (reading input, several files, tests), each verified by
// web/tests/examples.test.mjs on every runtime of its language.
import EXAMPLES from './examples.json';

export const TEMPLATES: Record<string, string> = {
  go: `package main

import "fmt"

func main() {
\tfmt.Println("Hello from Go!")
}
`,
  python: `def main():
    print("Hello from Python!")


if __name__ == "__main__":
    main()
`,
  javascript: `console.log("Hello from JavaScript!");
`,
  ruby: `puts "Hello from Ruby!"
`,
  java: `public class Main {
    public static void main(String[] args) {
        System.out.println("Hello from Java!");
    }
}
`,
  c: `#include <stdio.h>

int main(void) {
    printf("Hello from C!\\n");
    return 0;
}
`,
  cpp: `#include <iostream>

int main() {
    std::cout << "Hello from C++!" << std::endl;
    return 0;
}
`,
  rust: `fn main() {
    println!("Hello from Rust!");
}
`,
  bash: `#!/bin/bash
echo "Hello from Bash!"
`,
  php: `<?php
echo "Hello from PHP!\\n";
`,
  perl: `use strict;
use warnings;

print "Hello from Perl!\\n";
`,
};

export function templateFor(language: string): string {
  return TEMPLATES[language] ?? '';
}

export interface Example {
  id: string;
  title: string;
  files: Record<string, string>; // path -> content
}

// The starting points for a language: hello world in `mainFile`, then its examples.
export function examplesFor(language: string, mainFile: string): Example[] {
  const hello: Example = { id: 'hello', title: 'Hello world', files: { [mainFile]: templateFor(language) } };
  const more = (EXAMPLES as unknown as Record<string, Example[]>)[language] ?? [];
  return [hello, ...more];
}
