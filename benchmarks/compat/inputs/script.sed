s/quick/slow/g
/zebra/d
y/abc/ABC/
$a\
-- end --
