-- snort.lua - the configuration of the snort bundles (Snort 3, Lua).
-- Only what the bundle uses: no stream, no HTTP inspector, no preprocessor
-- rules; the rules (hsd.rules, given with -R) look at one packet's payload.
-- Alerts go to stdout as alert_csv lines that report.awk turns into
-- "ALERT snort ..." lines.

HOME_NET = 'any'
EXTERNAL_NET = 'any'

classifications =
{
    { name = 'misc-activity', priority = 3, text = 'Misc activity' },
    { name = 'web-application-attack', priority = 1, text = 'Web Application Attack' },
}

ips =
{
    enable_builtin_rules = false,
}

-- One line per alert on stdout.  b64_data is the packet's payload (the
-- probe's token is in it); msg goes last since it may hold spaces.
alert_csv =
{
    file = false,
    separator = ' ',
    fields = 'sid proto src_ap dst_ap b64_data msg',
}
