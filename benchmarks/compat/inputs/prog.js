const words = require('fs').readFileSync(0, 'utf8').toLowerCase().match(/[a-z]+/g);
const counts = {};
for (const w of words) counts[w] = (counts[w] || 0) + 1;
console.log(Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 3));
console.log([1, 2, 3].map(x => x * x).join(','), JSON.stringify({a: 1}));
