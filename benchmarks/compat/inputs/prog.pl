use strict; use warnings;
my %count;
while (my $line = <STDIN>) { $count{lc $_}++ for $line =~ /([A-Za-z]+)/g; }
my @top = (sort { $count{$b} <=> $count{$a} || $a cmp $b } keys %count)[0..2];
print join(",", @top), "\n";
printf "%.4f\n", atan2(1, 1) * 4;
print scalar(reverse("unicore")), "\n";
