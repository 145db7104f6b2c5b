"""What every HTTP surface shares: error responses, request helpers, pagination, multipart
bodies, file downloads and OpenAPI building. The GraphQL view and each REST family import it;
it imports none of them."""
