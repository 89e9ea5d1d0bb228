local t = {}
for i = 1, 10 do t[#t + 1] = i * i end
print(table.concat(t, ","))
print(string.format("%5.2f %s", math.pi, string.rep("ab", 3)))
local words = {}
for w in io.read("a"):gmatch("%a+") do words[#words + 1] = w:lower() end
table.sort(words)
print(#words, words[1], words[#words])
