package lib;

public class Greeter {
    public static final String NAME = "runlet";

    private final String prefix;

    public Greeter(String prefix) {
        this.prefix = prefix;
    }

    public String greeting(String name) {
        return prefix + "hello, " + name;
    }
}
