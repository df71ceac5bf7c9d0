# report.awk - Snort's alert_csv lines (snort.lua) into hsd alerts:
#   SID PROTO SRC_AP DST_AP "B64_PAYLOAD" "MSG"
# becomes
#   ALERT snort SID PROTO SRC -> DST MSG: PAYLOAD
# The payload is decoded here (no process per alert), every byte that is
# not printable ASCII becomes a space, and it is cut to 200 bytes: an
# alert stays one line and the probe's token, at the payload's start,
# survives.  Any other line of Snort's is passed on as "snort: LINE", which
# hsd keeps as instance log.
BEGIN {
	b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for (i = 1; i <= 64; i++)
		val[substr(b64, i, 1)] = i - 1
	for (i = 32; i < 127; i++)
		chr[i] = sprintf("%c", i)
}

function decode(s,    out, n, i, c, acc, bits, b) {
	out = ""; n = 0; acc = 0; bits = 0
	for (i = 1; i <= length(s) && n < 200; i++) {
		c = substr(s, i, 1)
		if (!(c in val))
			break # "=" padding, or the end
		acc = acc * 64 + val[c]
		bits += 6
		if (bits >= 8) {
			bits -= 8
			b = int(acc / 2 ^ bits)
			acc -= b * 2 ^ bits
			out = out ((b in chr) ? chr[b] : " ")
			n++
		}
	}
	return out
}

$1 ~ /^[0-9]+$/ && NF >= 6 && $3 ~ /:/ {
	msg = $0
	for (i = 1; i <= 5; i++)
		sub(/^[^ ]+ /, "", msg)
	gsub(/^"|"$/, "", msg)
	data = $5
	gsub(/"/, "", data)
	data = decode(data)
	sub(/ +$/, "", data)
	printf "ALERT snort %s %s %s -> %s %s: %s\n", $1, $2, $3, $4, msg, data
	fflush()
	next
}
{ print "snort: " $0; fflush() }
