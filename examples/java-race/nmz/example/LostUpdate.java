// SPDX-License-Identifier: Apache-2.0
package nmz.example;

/**
 * A flaky test: two threads deposit 1 each into a shared account with an
 * unsynchronised read-then-write. Run plainly, the first thread is done
 * long before the second one starts, so it almost never fails; when nmz
 * delays read() or write() of one thread, the other's update is lost.
 * Exit status 1 when an update was lost.
 */
public final class LostUpdate {
  private static int balance;

  static int read() {
    return balance;
  }

  static void write(int value) {
    balance = value;
  }

  static void deposit(int amount) {
    int seen = read();
    write(seen + amount);
  }

  public static void main(String[] args) throws InterruptedException {
    Thread first = new Thread(() -> deposit(1), "depositor-1");
    Thread second = new Thread(() -> deposit(1), "depositor-2");
    first.start();
    second.start();
    first.join();
    second.join();
    if (balance != 2) {
      System.out.println("FAILED: an update was lost, balance " + balance + " instead of 2");
      System.exit(1);
    }
    System.out.println("ok: balance 2");
  }
}
