"""The one-machine stack: moto's server as AWS, an HTTP gateway, a queue dispatcher."""
