import unittest

from textkit.slug import slugify


class HiddenSlugTest(unittest.TestCase):
    def test_cases(self):
        self.assertEqual(slugify("Rock & Roll -- Live"), "rock-roll-live")
        self.assertEqual(slugify("Python 3.12 released"), "python-3-12-released")
        self.assertEqual(slugify("   "), "")
