set total 0
foreach n {3 1 4 1 5 9 2 6} { incr total $n }
puts "total $total"
puts [lsort -integer {3 1 4 1 5 9 2 6}]
puts [string toupper [string reverse "unicore"]]
puts [format "%.3f" [expr {sqrt(2)}]]
array set a {x 1 y 2}
puts [lsort [array names a]]
