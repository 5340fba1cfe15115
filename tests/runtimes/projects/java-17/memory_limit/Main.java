import java.util.ArrayList;
import java.util.List;

public class Main {
    // Keeps 1 GiB alive, 16 MiB at a time.
    public static void main(String[] args) {
        List<byte[]> chunks = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            byte[] chunk = new byte[16 << 20];
            java.util.Arrays.fill(chunk, (byte) 'x');
            chunks.add(chunk);
        }
        System.out.println("allocated " + chunks.size() * 16 + " MiB");
    }
}
