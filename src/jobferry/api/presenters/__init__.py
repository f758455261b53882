"""The API's presenters: typed service records rendered in DataArts' camelCase wire form."""
