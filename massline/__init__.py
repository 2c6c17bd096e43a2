"""massline: run multi-level party education campaigns from one platform."""
