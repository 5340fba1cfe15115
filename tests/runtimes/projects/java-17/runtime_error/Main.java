public class Main {
    public static void main(String[] args) {
        System.err.println("about to fail");
        System.exit(3);
    }
}
