export const prefix = "greet: ";
