// SPDX-License-Identifier: Apache-2.0
package nmz.example;

/**
 * LostUpdate's fixed twin: deposit() holds the account's lock across the
 * read and the write, so however nmz delays them no update is lost.
 */
public final class LostUpdateFixed {
  private static int balance;

  static int read() {
    return balance;
  }

  static void write(int value) {
    balance = value;
  }

  static synchronized void deposit(int amount) {
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
