BEGIN { FS = "," }
NR > 1 { total += $3 * $4; n[$2] = length($2) }
END { printf "total %.2f\n", total; for (k in n) c++; print c " fruits"; print toupper(substr("unicore", 1, 3)) }
