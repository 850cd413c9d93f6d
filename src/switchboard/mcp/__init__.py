"""MCP both ways: a client for any MCP server's tools and a server for any toolbox, on the official SDK."""
