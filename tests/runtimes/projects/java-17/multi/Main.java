import lib.Greeter;

public class Main {
    public static void main(String[] args) {
        System.out.println("add(3, 4) = " + MathUtil.add(3, 4));
        System.out.println(new Greeter("greet: ").greeting(Greeter.NAME));
    }
}
