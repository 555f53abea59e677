#!/bin/sh
# Passes when the reader saw the value the writer set before telling it to go.
seen="$(cat "$NMZ_WORKING_DIR/reader.out" 2>/dev/null)"
[ "$seen" = 1 ] && exit 0
echo "the reader saw \"$seen\" instead of 1" >&2
exit 1
