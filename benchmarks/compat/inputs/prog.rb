words = STDIN.read.downcase.scan(/[a-z]+/)
counts = words.tally.sort_by { |w, c| [-c, w] }.first(3)
puts counts.map { |w, c| "#{w}=#{c}" }.join(" ")
puts (1..10).map { |i| i * i }.sum
puts "unicore".reverse.upcase
printf("%.3f\n", Math.sqrt(2))
