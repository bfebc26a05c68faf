"""hizone: the data platform of China's national high-tech zone programme (国家高新区)."""

__version__ = "0.1.0"
