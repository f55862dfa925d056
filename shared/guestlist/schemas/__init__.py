"""Request and response schemas of the HTTP API, declared once at the edge (msgspec Structs).

The edge (`guestlist.edge`) decodes and validates bodies and queries with them, and the
OpenAPI document is generated from them; the domain below receives plain values.
"""
