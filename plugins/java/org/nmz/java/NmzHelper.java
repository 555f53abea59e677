// SPDX-License-Identifier: Apache-2.0
package org.nmz.java;

import org.jboss.byteman.rule.Rule;
import org.jboss.byteman.rule.helper.Helper;

/**
 * The byteman helper of nmz's java inspector (HELPER org.nmz.java.NmzHelper).
 * Each method sends one deferred JavaFunctionEvent to nmz and blocks the
 * calling thread, and only it, until nmz answers; it returns true when nmz
 * decided a fault, so that a rule can throw:
 *
 * <pre>
 * IF nmzCall("Account.deposit", $*)
 * DO throw new java.lang.IllegalStateException("nmz fault")
 * </pre>
 *
 * Pass byteman's $* (the receiver, then the parameters) to send the
 * parameters as $1, $2, ... When nmz cannot be reached, the connection
 * closes or the answer takes longer than nmz.timeout.ms, the call proceeds
 * (false).
 */
public class NmzHelper extends Helper {
  protected NmzHelper(Rule rule) {
    super(rule);
  }

  public boolean nmzCall(String function) {
    return NmzChannel.instance().event(NmzChannel.FUNC_CALL, function, (Object[]) null);
  }

  public boolean nmzCall(String function, Object[] receiverAndParams) {
    return NmzChannel.instance().event(NmzChannel.FUNC_CALL, function, receiverAndParams);
  }

  public boolean nmzReturn(String function) {
    return NmzChannel.instance().event(NmzChannel.FUNC_RETURN, function, (Object[]) null);
  }

  public boolean nmzReturn(String function, Object[] receiverAndParams) {
    return NmzChannel.instance().event(NmzChannel.FUNC_RETURN, function, receiverAndParams);
  }
}
