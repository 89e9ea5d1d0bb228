import collections, hashlib, json, re, sys
text = sys.stdin.read()
words = re.findall(r"[a-z]+", text.lower())
print(collections.Counter(words).most_common(3))
print(hashlib.sha256(text.encode()).hexdigest())
print(json.dumps({"lines": text.count("\n"), "words": len(words)}, sort_keys=True))
