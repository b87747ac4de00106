#!/usr/bin/env python3
"""Zipf-distributed text for the word-count benchmark, unlike the wordcount
template's own synthetic text (uniform 2-10 letter words, 20,001 of them,
12 a line, Zipf exponent 1):

- a vocabulary of 400,000 words whose length grows with rank as in natural
  language (frequent words short, rare ones long: 1 to 40 bytes, about 8% of
  the distinct words over 16 bytes), some capitalised, some with punctuation
  attached, some with accented letters or CJK (multi-byte UTF-8);
- ranks drawn from a Zipf law of exponent 1.15, so the 200 MB file holds
  well over 50,000 distinct words (the script prints how many);
- lines of 0 to 24 words, some separated by tabs or two spaces.

    bench/corpus-zipf.py OUT [SIZE]     (SIZE in bytes, default 200000000)

A fixed seed makes the same file every time.
"""
import bisect
import itertools
import random
import sys

out = sys.argv[1]
size = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000_000
rng = random.Random(20261124)

VOCABULARY = 400_000
EXPONENT = 1.15
letters = "abcdefghijklmnopqrstuvwxyz"
consonants, vowels = "bcdfghjklmnprstvwz", "aeiouy"
accented = ["é", "è", "ü", "ö", "ß", "ñ", "ç", "å", "ø"]
cjk = [chr(c) for c in range(0x4E00, 0x4E00 + 400)]


def make_word(rank):
    # Mean length grows with log(rank): 'a', 'of' at the top, 20+ bytes far down.
    mean = 2.0 + 0.6 * (rank.bit_length() - 1)
    length = max(1, min(40, int(rng.gauss(mean, mean / 3))))
    if rng.random() < 0.02:
        return "".join(rng.choice(cjk) for _ in range(max(1, length // 3)))
    word = []
    for i in range(length):
        word.append(rng.choice(consonants) if i % 2 == 0 else rng.choice(vowels))
    if rng.random() < 0.05:
        word[rng.randrange(len(word))] = rng.choice(accented)
    if rng.random() < 0.03:
        word.append("-" + "".join(rng.choice(letters) for _ in range(rng.randint(3, 9))))
    return "".join(word)


vocabulary, seen = [], set()
while len(vocabulary) < VOCABULARY:
    word = make_word(len(vocabulary) + 1)
    if word not in seen:
        seen.add(word)
        vocabulary.append(word)
forms = [w.encode() for w in vocabulary]
cumulative = list(itertools.accumulate(1.0 / (r ** EXPONENT) for r in range(1, VOCABULARY + 1)))
total = cumulative[-1]
punctuation = [b",", b".", b";", b":", b"!", b"?", b")", b'"']

written = 0
distinct = set()
with open(out, "wb") as f:
    while written < size:
        lines = []
        ranks = [bisect.bisect_left(cumulative, rng.random() * total) for _ in range(200_000)]
        ranks.reverse()
        while ranks:
            n = rng.randint(0, 24)
            words = []
            for _ in range(min(n, len(ranks))):
                r = ranks.pop()
                word = forms[min(r, VOCABULARY - 1)]
                roll = rng.random()
                if roll < 0.06:
                    word = word.capitalize()
                elif roll < 0.14:
                    word = word + rng.choice(punctuation)
                words.append(word)
            distinct.update(words)
            separator = b"\t" if rng.random() < 0.05 else b"  " if rng.random() < 0.05 else b" "
            lines.append(separator.join(words) + b"\n")
        block = b"".join(lines)
        block = block[: size - written]
        f.write(block)
        written += len(block)
print(f"{out}: {written} bytes, about {len(distinct)} distinct words", file=sys.stderr)
