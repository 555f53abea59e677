// SPDX-License-Identifier: Apache-2.0
package org.nmz.java;

/**
 * Writes one framed InspectorMsgReq (a 4-byte little-endian length, then the
 * proto2 message with Namazu's field numbers) into a buffer it reuses: one
 * per thread, so that a call allocates nothing here. Each embedded
 * message's length is computed before it is written, and strings are
 * written as UTF-8 straight from their chars (as String.getBytes would
 * encode them, a lone surrogate as '?'). Not thread-safe.
 */
final class RequestEncoder {
  private static final int TYPE_EVENT = 1;
  private static final int TYPE_INITIATION = 2;

  private byte[] buf = new byte[512];
  private int len;
  private int[] paramSizes = new int[8];

  byte[] buffer() {
    return buf;
  }

  int length() {
    return len;
  }

  /** INITIATION for `entity`, as Namazu's inspector sends it (msg_id 0, no Java fields). */
  static byte[] initiation(String entity, int pid, int tid) {
    RequestEncoder e = new RequestEncoder();
    int init = stringSize(entity);
    int total = stringSize(entity) + int32Size(TYPE_INITIATION) + int32Size(pid) + int32Size(tid) + int32Size(0)
        + messageSize(init) + int32Size(0);
    e.start(total);
    e.string(1, entity);
    e.int32(2, TYPE_INITIATION);
    e.int32(3, pid);
    e.int32(4, tid);
    e.int32(5, 0);
    e.header(8, init);
    e.string(1, entity);
    e.int32(9, 0);
    byte[] out = new byte[e.len];
    System.arraycopy(e.buf, 0, out, 0, e.len);
    return out;
  }

  /**
   * An EVENT FUNC_CALL (eventType 1) or FUNC_RETURN (2) with its Java fields:
   * the thread's name, `nFrames` frames (each as frame() encodes it),
   * `nParams` parameters.
   */
  void event(String entity, int pid, int tid, int msgId, int eventType, String function, String thread,
      byte[][] frames, int nFrames, String[] names, String[] values, int nParams) {
    int call = stringSize(function);
    int event = int32Size(eventType) + messageSize(call);
    if (paramSizes.length < nParams) paramSizes = new int[nParams];
    int java = stringSize(thread) + int32Size(nFrames) + int32Size(nParams);
    for (int i = 0; i < nFrames; i++) java += messageSize(frames[i].length);
    for (int i = 0; i < nParams; i++) {
      paramSizes[i] = stringSize(names[i]) + stringSize(values[i]);
      java += messageSize(paramSizes[i]);
    }
    int total = stringSize(entity) + int32Size(TYPE_EVENT) + int32Size(pid) + int32Size(tid) + int32Size(msgId)
        + messageSize(event) + int32Size(1) + messageSize(java);
    start(total);
    string(1, entity);
    int32(2, TYPE_EVENT);
    int32(3, pid);
    int32(4, tid);
    int32(5, msgId);
    header(7, event);
    int32(1, eventType);
    header(eventType == NmzChannel.FUNC_CALL ? 2 : 3, call);
    string(1, function);
    int32(9, 1);
    header(10, java);
    string(1, thread);
    int32(2, nFrames);
    for (int i = 0; i < nFrames; i++) {
      header(3, frames[i].length);
      System.arraycopy(frames[i], 0, buf, len, frames[i].length);
      len += frames[i].length;
    }
    int32(4, nParams);
    for (int i = 0; i < nParams; i++) {
      header(5, paramSizes[i]);
      string(1, names[i]);
      string(2, values[i]);
    }
  }

  /** A StackTraceElement message's fields (file, class, method, line), for event(). */
  static byte[] frame(StackWalker.StackFrame f) {
    String file = f.getFileName() == null ? "" : f.getFileName();
    int size = stringSize(file) + stringSize(f.getClassName()) + stringSize(f.getMethodName())
        + int32Size(f.getLineNumber());
    RequestEncoder e = new RequestEncoder();
    e.buf = new byte[size];
    e.string(1, file);
    e.string(2, f.getClassName());
    e.string(3, f.getMethodName());
    e.int32(4, f.getLineNumber());
    return e.buf;
  }

  // Sizes of fields whose numbers are below 16 (a one-byte key).

  private static int varintSize(long value) {
    int n = 1;
    while ((value & ~0x7FL) != 0) {
      value >>>= 7;
      n++;
    }
    return n;
  }

  /** int32 is sign-extended to 64 bits on the wire, as protobuf does. */
  private static int int32Size(int value) {
    return 1 + varintSize(value);
  }

  private static int messageSize(int size) {
    return 1 + varintSize(size) + size;
  }

  private static int stringSize(String s) {
    return messageSize(utf8Length(s));
  }

  private static int utf8Length(String s) {
    int n = s.length();
    int bytes = n;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) continue;
      if (c < 0x800) {
        bytes += 1;
      } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
        bytes += 2;  // four bytes for two chars
        i++;
      } else if (!Character.isSurrogate(c)) {
        bytes += 2;
      }
    }
    return bytes;
  }

  private void start(int messageSize) {
    int needed = 4 + messageSize;
    if (buf.length < needed) buf = new byte[Math.max(needed, buf.length * 2)];
    buf[0] = (byte) messageSize;
    buf[1] = (byte) (messageSize >>> 8);
    buf[2] = (byte) (messageSize >>> 16);
    buf[3] = (byte) (messageSize >>> 24);
    len = 4;
  }

  private void varint(long value) {
    while ((value & ~0x7FL) != 0) {
      buf[len++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    buf[len++] = (byte) value;
  }

  private void int32(int field, int value) {
    buf[len++] = (byte) (field << 3);
    varint(value);
  }

  private void header(int field, int size) {
    buf[len++] = (byte) (field << 3 | 2);
    varint(size);
  }

  private void string(int field, String s) {
    int n = s.length();
    int bytes = utf8Length(s);
    header(field, bytes);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        buf[len++] = (byte) c;
      } else if (c < 0x800) {
        buf[len++] = (byte) (0xC0 | c >> 6);
        buf[len++] = (byte) (0x80 | (c & 0x3F));
      } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, s.charAt(++i));
        buf[len++] = (byte) (0xF0 | cp >> 18);
        buf[len++] = (byte) (0x80 | (cp >> 12 & 0x3F));
        buf[len++] = (byte) (0x80 | (cp >> 6 & 0x3F));
        buf[len++] = (byte) (0x80 | (cp & 0x3F));
      } else if (Character.isSurrogate(c)) {
        buf[len++] = (byte) '?';
      } else {
        buf[len++] = (byte) (0xE0 | c >> 12);
        buf[len++] = (byte) (0x80 | (c >> 6 & 0x3F));
        buf[len++] = (byte) (0x80 | (c & 0x3F));
      }
    }
  }
}
